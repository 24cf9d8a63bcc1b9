var a = []; while (true) { a.push({k: Math.random(), s: "x" + Math.random()}); }
