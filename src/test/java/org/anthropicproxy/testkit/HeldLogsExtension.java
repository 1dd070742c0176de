package org.anthropicproxy.testkit;

import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Registered for every test (META-INF/services, {@code junit.jupiter.extensions.autodetection.enabled}): prints the
 * log lines {@link HeldLogs} held while a test ran when it failed, and drops them when it passed.
 */
public final class HeldLogsExtension implements BeforeAllCallback, AfterEachCallback, AfterAllCallback {

    @Override
    public void beforeAll(ExtensionContext context) {
        HeldLogs.drain(); // what earlier classes left behind
        // jqwik reports through java.util.logging (INFO: "edge case generation exceeds number of tries"): warnings only
        Logger.getLogger("").setLevel(Level.WARNING);
    }

    @Override
    public void afterEach(ExtensionContext context) {
        report(context);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        report(context);
    }

    private static void report(ExtensionContext context) {
        List<String> lines = HeldLogs.drain();
        if (context.getExecutionException().isEmpty() || lines.isEmpty()) {
            return;
        }
        StringBuilder sb = new StringBuilder("---- log of failed " + context.getDisplayName() + " ----\n");
        lines.forEach(sb::append);
        sb.append("---- end of log ----\n");
        System.out.print(sb);
        System.out.flush();
    }
}
