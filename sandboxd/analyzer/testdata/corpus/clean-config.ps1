$raw = [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String('eyJzZXJ2ZXIiOiJmaWxlcy5leGFtcGxlLm9yZyIsInBvcnQiOjQ0M30='))
$cfg = $raw | ConvertFrom-Json
$items = Invoke-RestMethod -Uri ("https://{0}/api/items" -f $cfg.server)
$items | Select-Object Name, Id | Format-Table
