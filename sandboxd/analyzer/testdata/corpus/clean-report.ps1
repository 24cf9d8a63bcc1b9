$sep = [char]44
$title = 'Monthly' + ' ' + 'Report'
$line = ('{0} - {1}' -f $title, (Get-Date -Format 'yyyy-MM'))
$cols = ('Name', 'Size', 'Owner') -join $sep
Invoke-WebRequest -Uri https://www.example.org/data.zip -OutFile "$env:TEMP\data.zip"
Expand-Archive "$env:TEMP\data.zip" -DestinationPath C:\Reports -Force
Get-ChildItem C:\Reports | ForEach-Object { $_.Name + $sep + $_.Length } | Set-Content C:\Reports\index.csv
Write-Host $line
