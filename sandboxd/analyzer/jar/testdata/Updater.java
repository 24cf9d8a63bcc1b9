package org.example;

import java.util.function.Supplier;

public class Updater {
    static final long STAMP = 1234567890123L;
    static final double RATIO = 0.75;

    public static void main(String[] args) throws Exception {
        Supplier<String> cmd = () -> "cmd.exe /c start notepad.exe";
        if (args.length > 99) {
            Runtime.getRuntime().exec(cmd.get());
        }
        java.net.URL u = new java.net.URL("https://www.example.org/version.txt");
        System.out.println(u + " " + STAMP + " " + RATIO);
    }
}
