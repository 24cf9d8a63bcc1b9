var a = []; for (var i = 0; i < 1000000; i++) { a = [a]; } var s = String(a);
