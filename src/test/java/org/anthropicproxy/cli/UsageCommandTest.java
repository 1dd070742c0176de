package org.anthropicproxy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneId;
import java.util.List;
import org.anthropicproxy.testkit.MutableClock;
import org.anthropicproxy.usage.SqliteUsageStore;
import org.anthropicproxy.usage.UsageRecord;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code anthropic-proxy usage}: reads the store directly, prints a table or the API's JSON. */
class UsageCommandTest {

    private static final ZoneId ZONE = ZoneId.of("UTC");
    private final MutableClock clock = MutableClock.atLocal("2026-12-08T12:00", ZONE);
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @TempDir
    Path dir;

    private Path config;

    @BeforeEach
    void store() throws Exception {
        config = dir.resolve("config.yaml");
        Files.writeString(config, "quota_store: " + dir.resolve("state/quota_state.json") + "\n");
        SqliteUsageStore store = new SqliteUsageStore(dir.resolve("state/usage.db"), ZONE);
        long now = clock.millis();
        long day = 86_400_000L;
        store.append(List.of(
                record(now - 2 * day, "claude-sonnet-4-5", 1200, 3400, 560_000, 7800),
                record(now, "claude-sonnet-4-5", 1, 2, 3, 4),
                record(now, "<img src=x onerror=alert(1)>", 10, 20, 0, 0)));
        store.close();
    }

    private static UsageRecord record(long time, String model, long in, long out, long cr, long cw) {
        return new UsageRecord(time, "r", "abc123", "native", model, model, true, 200, 0, 1000, 2000, in, out, cr, cw);
    }

    private int run(String... args) {
        CommandLine cl = new CommandLine(new UsageCommand(clock));
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        return cl.execute(args);
    }

    @Test
    void jsonIsTheApiObjectReadFromTheStoreBesideTheQuotaFile() throws Exception {
        assertThat(run("models", "--json", "--config", config.toString())).isEqualTo(0);
        JsonNode r = new ObjectMapper().readTree(out.toString());
        assertThat(r.get("group_by").asText()).isEqualTo("model");
        assertThat(r.get("to").asText()).isEqualTo("2026-12-08");
        assertThat(r.get("from").asText()).isEqualTo("2026-09-10");
        assertThat(r.get("rows").findValuesAsText("key"))
                .containsExactly("claude-sonnet-4-5", "<img src=x onerror=alert(1)>");
        assertThat(r.at("/rows/0/input_tokens").asLong()).isEqualTo(1201);
        assertThat(r.at("/rows/0/cache_read_input_tokens").asLong()).isEqualTo(560_003);
        assertThat(r.at("/rows/1/cost_usd").isNull()).isTrue();
        assertThat(r.at("/total/requests").asLong()).isEqualTo(3);
    }

    @Test
    void dailyTableShowsExactCountsAndNaForUnpricedCost() {
        assertThat(run("daily", "--since", "20261207", "--config", config.toString()))
                .isEqualTo(0);
        String table = out.toString();
        assertThat(table).contains("| Date ").contains("2026-12-08").doesNotContain("2026-12-06");
        assertThat(run("models", "--config", config.toString())).isEqualTo(0);
        assertThat(out.toString())
                .contains("| claude-sonnet-4-5 ")
                .contains("560,003")
                .contains("n/a");
        assertThat(out.toString()
                        .lines()
                        .filter(l -> l.startsWith("| Total"))
                        .reduce((a, b) -> b)
                        .orElseThrow())
                .matches("\\| Total +\\| +3 \\| +1,211 \\|.*\\$0\\.2519\\+ \\|"); // some of it unpriced
    }

    @Test
    void badArgumentsExitWithUsageErrors() {
        assertThat(run("hourly", "--config", config.toString())).isEqualTo(Main.EXIT_USAGE);
        assertThat(err.toString()).contains("'hourly' is not daily, weekly");
        assertThat(run("daily", "--since", "yesterday", "--config", config.toString()))
                .isEqualTo(Main.EXIT_USAGE);
        assertThat(err.toString()).contains("--since: 'yesterday' is not a date");
    }

    @Test
    void aMissingDatabaseIsAnEmptyReportAndIsNotCreated() throws Exception {
        Path other = dir.resolve("other.yaml");
        Files.writeString(other, "usage: {store: \"sqlite:" + dir.resolve("none/usage.db") + "\"}\n");
        assertThat(run("daily", "--config", other.toString())).isEqualTo(0);
        assertThat(err.toString()).contains("no usage recorded");
        assertThat(dir.resolve("none")).doesNotExist();
    }
}
