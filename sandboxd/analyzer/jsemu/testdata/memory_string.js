var s = "xxxxxxxxxxxxxxxx"; while (true) { s += s; }
