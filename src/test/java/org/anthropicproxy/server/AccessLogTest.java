package org.anthropicproxy.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.math.RoundingMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

class AccessLogTest {

    @Test
    void millisecondsWithOneDecimal() {
        assertThat(AccessLog.ms(-1)).isEqualTo("-");
        assertThat(AccessLog.ms(0)).isEqualTo("0.0");
        assertThat(AccessLog.ms(49)).isEqualTo("0.0");
        assertThat(AccessLog.ms(50)).isEqualTo("0.1");
        assertThat(AccessLog.ms(412_345)).isEqualTo("412.3");
        assertThat(AccessLog.ms(5_120_850)).isEqualTo("5120.9");
    }

    @Property(tries = 2000)
    void halfUpOnTheExactDecimalValue(@ForAll @LongRange(min = 0, max = 10_000_000_000L) long micros) {
        BigDecimal expected = BigDecimal.valueOf(micros).movePointLeft(3).setScale(1, RoundingMode.HALF_UP);
        assertThat(AccessLog.ms(micros)).isEqualTo(expected.toPlainString());
    }
}
