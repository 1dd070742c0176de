package org.anthropicproxy.cli;

/** Keeps SIGINT from ending this JVM while a child owns the terminal (the child still gets its own SIGINT). */
final class Interrupts {

    private Interrupts() {}

    static void ignore() {
        try {
            // a handler, not SIG_IGN: an ignored signal would stay ignored in children started later
            sun.misc.Signal.handle(new sun.misc.Signal("INT"), signal -> {});
        } catch (IllegalArgumentException | LinkageError e) {
            // no signal support here: Ctrl-C then ends this launcher together with its child
        }
    }
}
