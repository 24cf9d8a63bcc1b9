@echo off
setlocal
set "stamp=%date:~-4,4%%date:~-7,2%%date:~-10,2%"
set out=C:\Backup\%stamp%
set name=report
set name=%name:rep=Rep%
mkdir "%out%"
certutil -hashfile "C:\Data\%name%.xlsx" SHA256 > "%out%\hash.txt"
curl -s -o "%out%\rates.csv" https://www.example.org/rates.csv
xcopy /y /i C:\Data\*.xlsx "%out%\"
echo Backup of %name% done
