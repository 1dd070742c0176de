package org.anthropicproxy.net;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** NO_PROXY forms, as a table: the list, the request's host and port, whether it goes direct. */
class NoProxyTest {

    @ParameterizedTest(name = "NO_PROXY=''{0}'' {1}:{2} direct={3}")
    @CsvSource(
            delimiter = '|',
            value = {
                // a name: itself and its subdomains, never a mere suffix of a longer label
                "example.com              | example.com        | 443  | true",
                "example.com              | api.example.com    | 443  | true",
                "example.com              | a.b.example.com    | 80   | true",
                "example.com              | badexample.com     | 443  | false",
                "example.com              | example.com.evil   | 443  | false",
                // a leading dot or *. means the same
                ".example.com             | api.example.com    | 443  | true",
                ".example.com             | example.com        | 443  | true",
                "*.example.com            | api.example.com    | 443  | true",
                // case and a trailing dot do not matter
                "Example.COM              | API.example.com.   | 443  | true",
                // IP literals: exactly that address; a name is never resolved to match
                "10.1.2.3                 | 10.1.2.3           | 443  | true",
                "10.1.2.3                 | 10.1.2.4           | 443  | false",
                "127.0.0.1                | localhost          | 443  | false",
                "::1                      | [::1]              | 443  | true",
                "[::1]                    | ::1                | 443  | true",
                // CIDR ranges, v4 and v6
                "10.0.0.0/8               | 10.200.3.4         | 443  | true",
                "10.0.0.0/8               | 11.0.0.1           | 443  | false",
                "192.168.1.0/24           | 192.168.1.255      | 443  | true",
                "192.168.1.0/24           | 192.168.2.1        | 443  | false",
                "fd00::/8                 | fd12::1            | 443  | true",
                "fd00::/8                 | fe80::1            | 443  | false",
                "10.0.0.0/8               | internal.example   | 443  | false",
                "0.0.0.0/0                | 8.8.8.8            | 443  | true",
                // :port restricts an entry to that port
                "example.com:8443         | example.com        | 8443 | true",
                "example.com:8443         | example.com        | 443  | false",
                "10.0.0.0/8:443           | 10.0.0.9           | 443  | true",
                "10.0.0.0/8:443           | 10.0.0.9           | 80   | false",
                "[::1]:8080               | ::1                | 8080 | true",
                "[::1]:8080               | ::1                | 8081 | false",
                // * is everything
                "*                        | anything.at.all    | 1    | true",
                "'a.com, *'               | b.com              | 443  | true",
                // lists: commas and spaces, empty items ignored
                "'a.com,,b.com  c.com'    | c.com              | 443  | true",
                "'a.com,b.com'            | d.com              | 443  | false",
                // nothing, or garbage, matches nothing
                "''                       | example.com        | 443  | false",
                "10.0.0.0/99              | 10.0.0.1           | 443  | false",
                "example.com:http         | example.com        | 80   | false",
            })
    void matches(String list, String host, int port, boolean direct) {
        assertThat(NoProxy.parse(list).matches(host, port)).isEqualTo(direct);
    }
}
