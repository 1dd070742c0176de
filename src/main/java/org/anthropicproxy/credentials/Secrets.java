package org.anthropicproxy.credentials;

/** Keeps secrets out of text that came from elsewhere (a server's error message may echo what it was sent). */
final class Secrets {
    private Secrets() {}

    static String redact(String text, String... secrets) {
        String out = text;
        for (String s : secrets) {
            if (s != null && s.length() >= 4) {
                out = out.replace(s, "***");
            }
        }
        return out;
    }
}
