@echo off
setlocal
msbuild App.sln /p:Configuration=Release /m
if errorlevel 1 exit /b 1
xcopy /y /i bin\Release\*.dll dist\
echo done
