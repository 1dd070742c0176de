package org.anthropicproxy.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.anthropicproxy.config.CliOverrides;
import org.anthropicproxy.config.ConfigException;
import org.anthropicproxy.config.ConfigLoader;
import org.anthropicproxy.config.ProxyConfig;
import org.anthropicproxy.files.UserDirs;
import org.anthropicproxy.json.Json;
import org.anthropicproxy.usage.DailyRow;
import org.anthropicproxy.usage.Pricing;
import org.anthropicproxy.usage.SqliteUsageStore;
import org.anthropicproxy.usage.UsageRecorder;
import org.anthropicproxy.usage.UsageReport;
import org.anthropicproxy.usage.UsageStore;
import org.anthropicproxy.usage.UsageStoreException;
import org.anthropicproxy.usage.UsageStores;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code anthropic-proxy usage [daily|weekly|monthly|models|providers|keys]}: tokens and cost from the usage store,
 * read directly (the proxy need not run), as a table like ccusage's or, with {@code --json}, the object
 * {@code GET /v1/usage} answers.
 */
@Command(
        name = "usage",
        mixinStandardHelpOptions = true,
        versionProvider = VersionLines.class,
        sortOptions = false,
        description = "Tokens and cost per day, week, month, model, provider or client key, from the usage store.")
public final class UsageCommand implements Callable<Integer> {

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Parameters(
            index = "0",
            arity = "0..1",
            paramLabel = "REPORT",
            defaultValue = "daily",
            description = "daily (default), weekly, monthly, models, providers or keys")
    String report;

    @Option(
            names = "--since",
            paramLabel = "DATE",
            description = "First day, YYYY-MM-DD or YYYYMMDD (default: the oldest day kept)")
    String since;

    @Option(names = "--until", paramLabel = "DATE", description = "Last day, YYYY-MM-DD or YYYYMMDD (default: today)")
    String until;

    @Option(names = "--json", description = "Print the JSON object GET /v1/usage answers")
    boolean json;

    @Option(
            names = "--config",
            paramLabel = "FILE",
            description = "YAML config (default ~/.config/anthropic-proxy/config.yaml when it exists)")
    Path config;

    @Option(
            names = "--quota-file",
            paramLabel = "FILE|URI",
            description = "As given to the proxy: usage.db is looked for beside it")
    String quotaFile;

    private final Clock clock;

    @SuppressWarnings("JavaTimeDefaultTimeZone") // report days are the proxy's local days, as the proxy records them
    public UsageCommand() {
        this(Clock.systemDefaultZone());
    }

    UsageCommand(Clock clock) {
        this.clock = clock;
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        UsageReport.GroupBy groupBy = switch (report.toLowerCase(Locale.ROOT)) {
            case "daily" -> UsageReport.GroupBy.DAY;
            case "weekly" -> UsageReport.GroupBy.WEEK;
            case "monthly" -> UsageReport.GroupBy.MONTH;
            case "models" -> UsageReport.GroupBy.MODEL;
            case "providers" -> UsageReport.GroupBy.PROVIDER;
            case "keys" -> UsageReport.GroupBy.KEY;
            default -> null;
        };
        if (groupBy == null) {
            return usageError(err, "'" + report + "' is not daily, weekly, monthly, models, providers or keys");
        }
        ProxyConfig cfg;
        try {
            Path file = config != null ? config : ConfigLoader.defaultConfigFile(UserDirs.current());
            cfg = new ConfigLoader(System.getenv())
                    .load(file, new CliOverrides(null, null, null, null, null, quotaFile));
        } catch (ConfigException e) {
            return usageError(err, e.getMessage());
        }
        LocalDate to;
        LocalDate from;
        try {
            to = date(until, "--until", LocalDate.now(clock));
            from = date(
                    since, "--since", UsageRecorder.firstKept(to, cfg.usage().retention()));
        } catch (IllegalArgumentException e) {
            return usageError(err, e.getMessage());
        }
        if (from.isAfter(to)) {
            return usageError(err, "--since " + from + " is after --until " + to);
        }
        UsageStore store;
        try {
            store = UsageStores.open(
                    cfg.usage().store(),
                    clock.getZone(),
                    cfg.usage().retention(),
                    UserDirs.current().home());
        } catch (IllegalArgumentException e) {
            return usageError(err, "usage.store: " + e.getMessage());
        }
        if (store == null) {
            return usageError(err, "usage history is off (usage.store: none in " + cfg.source() + ")");
        }
        ObjectNode result;
        try (store) {
            List<DailyRow> rows =
                    store instanceof SqliteUsageStore s && !Files.exists(s.file()) ? List.of() : store.daily(from, to);
            if (rows.isEmpty() && !json) {
                err.println("anthropic-proxy usage: no usage recorded from " + from + " to " + to + " in "
                        + store.describe());
            }
            result = UsageReport.build(
                    rows, from, to, groupBy, new Pricing(cfg.usage().pricing()));
        } catch (UsageStoreException e) {
            err.println("anthropic-proxy usage: " + e.getMessage());
            err.flush();
            return 1;
        }
        if (json) {
            out.println(Json.write(result));
        } else {
            UsageTable.print(out, result, groupBy);
        }
        out.flush();
        return 0;
    }

    private static LocalDate date(String text, String option, LocalDate dflt) {
        if (text == null) {
            return dflt;
        }
        String t = text.strip();
        if (t.matches("\\d{8}")) {
            t = t.substring(0, 4) + "-" + t.substring(4, 6) + "-" + t.substring(6);
        }
        try {
            return LocalDate.parse(t);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException(option + ": '" + text + "' is not a date (YYYY-MM-DD or YYYYMMDD)");
        }
    }

    private static int usageError(PrintWriter err, String message) {
        err.println("anthropic-proxy usage: " + message);
        err.flush();
        return Main.EXIT_USAGE;
    }
}
