param([string]$Configuration = "Release")
$ErrorActionPreference = "Stop"
$nuget = Join-Path $PSScriptRoot "tools\nuget.exe"
if (-not (Test-Path $nuget)) {
    New-Item -ItemType Directory -Force -Path (Split-Path $nuget) | Out-Null
    Invoke-WebRequest -Uri https://dist.nuget.org/win-x86-commandline/latest/nuget.exe -OutFile $nuget
}
& $nuget restore App.sln
dotnet build App.sln -c $Configuration
dotnet test --no-build -c $Configuration
Write-Host "Build finished"
