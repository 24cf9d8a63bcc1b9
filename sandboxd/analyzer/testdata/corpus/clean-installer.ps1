$msi = 'C:\Installers\' + 'Agent.msi'
if (Test-Path $msi) {
    Start-Process msiexec.exe -ArgumentList "/i $msi /qn /norestart" -Wait
}
Get-Service -Name 'Agent*' | Select-Object Status, Name
