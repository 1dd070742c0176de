package org.anthropicproxy.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.Proxy;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ProxyRulesTest {

    private static final URI HTTPS = URI.create("https://api.example.com/v1/messages");
    private static final URI HTTP = URI.create("http://api.example.com:8080/v1/messages");

    @Test
    void httpsAndHttpProxiesByScheme() {
        ProxyRules r = ProxyRules.fromEnv(
                Map.of("HTTPS_PROXY", "http://secure-proxy:3128", "HTTP_PROXY", "http://plain-proxy:8080"));
        assertThat(r.forUri(HTTPS)).hasToString("http://secure-proxy:3128");
        assertThat(r.forUri(HTTP)).hasToString("http://plain-proxy:8080");
    }

    @Test
    void lowerCaseWinsAndAllProxyIsTheFallback() {
        ProxyRules r = ProxyRules.fromEnv(
                Map.of("https_proxy", "http://lower:1", "HTTPS_PROXY", "http://upper:2", "ALL_PROXY", "http://all:3"));
        assertThat(r.forUri(HTTPS).address()).isEqualTo("lower:1");
        assertThat(r.forUri(HTTP).address()).isEqualTo("all:3");
        assertThat(ProxyRules.fromEnv(Map.of("all_proxy", "all:3"))
                        .forUri(HTTPS)
                        .address())
                .isEqualTo("all:3");
    }

    @Test
    void schemelessValueIsHttpAndThePortDefaultsAsInCurl() {
        assertThat(ProxyRules.fromEnv(Map.of("HTTPS_PROXY", "proxy.corp"))
                        .forUri(HTTPS)
                        .address())
                .isEqualTo("proxy.corp:1080");
    }

    @Test
    void noProxyFromEitherCase() {
        ProxyRules r = ProxyRules.fromEnv(Map.of("HTTPS_PROXY", "http://p:3128", "no_proxy", ".example.com"));
        assertThat(r.forUri(HTTPS)).isNull();
        assertThat(r.via(URI.create("https://other.org/"))).isEqualTo("http://p:3128");
        assertThat(ProxyRules.fromEnv(Map.of("HTTPS_PROXY", "http://p:3128", "NO_PROXY", "api.example.com"))
                        .forUri(HTTPS))
                .isNull();
    }

    @Test
    void localhostAndLoopbackLiteralsNeverUseAnEnvironmentProxy() {
        ProxyRules r = ProxyRules.fromEnv(Map.of("HTTPS_PROXY", "http://p:3128", "HTTP_PROXY", "http://p:3128"));
        for (String u : List.of(
                "https://localhost:8443/",
                "http://127.0.0.1:9/",
                "http://127.5.6.7/",
                "https://[::1]:1/",
                "http://app.localhost/")) {
            assertThat(r.forUri(URI.create(u))).as(u).isNull();
        }
        assertThat(r.forUri(URI.create("https://10.0.0.1/"))).isNotNull();
    }

    @Test
    void credentialsBecomeBasicAuthorizationAndAreNeverShown() {
        OutboundProxy p = ProxyRules.fromEnv(Map.of("HTTPS_PROXY", "http://us%40er:p%3Ass+word@p:3128"))
                .forUri(HTTPS);
        assertThat(p.authorization())
                .isEqualTo("Basic "
                        + Base64.getEncoder().encodeToString("us@er:p:ss+word".getBytes(StandardCharsets.UTF_8)));
        assertThat(p.toString()).isEqualTo("http://p:3128").doesNotContain("word");
    }

    @Test
    void socksUrlsAreReadAsCurlReadsThem() {
        OutboundProxy p = ProxyRules.fromEnv(Map.of("ALL_PROXY", "socks5h://u:secret@s:1081"))
                .forUri(HTTPS);
        assertThat(p.kind()).isEqualTo(OutboundProxy.Kind.SOCKS5H);
        assertThat(p.user()).isEqualTo("u");
        assertThat(p.authorization()).isNull(); // SOCKS authenticates in its own handshake
        assertThat(p).hasToString("socks5h://s:1081");
        assertThat(ProxyRules.fromEnv(Map.of("HTTPS_PROXY", "socks5://s"))
                        .forUri(HTTPS)
                        .kind())
                .isEqualTo(OutboundProxy.Kind.SOCKS5);
        // the JDK client is never handed a SOCKS proxy (refreshes through one use the upstream client)
        assertThat(ProxyRules.fromEnv(Map.of("ALL_PROXY", "socks5h://s:1081"))
                        .selector()
                        .select(HTTPS))
                .containsExactly(Proxy.NO_PROXY);
    }

    @Test
    void anUnsupportedEnvironmentProxyIsSkippedWithAWarningNotAFailure() {
        ProxyRules r = ProxyRules.fromEnv(Map.of("ALL_PROXY", "https://u:secret@s:443"));
        assertThat(r.forUri(HTTPS)).isNull();
        assertThat(r.warnings())
                .singleElement()
                .asString()
                .contains("ALL_PROXY")
                .contains("https://")
                .doesNotContain("secret");
    }

    @Test
    void configWinsNoneGoesDirectAndAbsentInherits() {
        ProxyRules env = ProxyRules.fromEnv(Map.of("HTTPS_PROXY", "http://env:1"));
        assertThat(ProxyRules.fromConfig(null, "proxy", "f", env)).isSameAs(env);
        assertThat(ProxyRules.fromConfig("none", "providers.x.proxy", "f", env).forUri(HTTPS))
                .isNull();
        ProxyRules cfg = ProxyRules.fromConfig(
                Map.of("url", "http://cfg:2", "no_proxy", List.of("internal.corp")), "proxy", "f", env);
        assertThat(cfg.forUri(HTTPS).address()).isEqualTo("cfg:2");
        assertThat(cfg.forUri(URI.create("https://git.internal.corp/"))).isNull();
        // an explicit proxy applies to loopback upstreams too
        assertThat(cfg.forUri(URI.create("http://127.0.0.1:9/"))).isNotNull();
        assertThat(ProxyRules.fromConfig("http://cfg:2", "proxy", "f", env)
                        .forUri(HTTP)
                        .address())
                .isEqualTo("cfg:2");
    }

    @Test
    void badConfigNamesTheKeyAndNeverThePassword() {
        assertThatThrownBy(() -> ProxyRules.fromConfig(
                        Map.of("url", "ftp://u:secret@s:1"), "providers.x.proxy", "c.yaml", ProxyRules.DIRECT))
                .hasMessageContaining("providers.x.proxy.url")
                .hasMessageContaining("c.yaml")
                .hasMessageContaining("ftp://")
                .hasMessageNotContaining("secret");
        assertThatThrownBy(
                        () -> ProxyRules.fromConfig(Map.of("uri", "http://p:1"), "proxy", "c.yaml", ProxyRules.DIRECT))
                .hasMessageContaining("proxy.uri: unknown key");
        assertThatThrownBy(() -> ProxyRules.fromConfig("http://u:secret@", "proxy", "c.yaml", ProxyRules.DIRECT))
                .hasMessageNotContaining("secret");
    }

    @Test
    void theSelectorForTheJdkClientFollowsTheSameRules() {
        ProxyRules r = ProxyRules.fromEnv(Map.of("HTTPS_PROXY", "http://p:3128", "NO_PROXY", "skip.me"));
        assertThat(r.selector().select(HTTPS)).singleElement().satisfies(p -> {
            assertThat(p.type()).isEqualTo(Proxy.Type.HTTP);
            assertThat(p.address().toString()).contains("p").contains("3128");
        });
        assertThat(r.selector().select(URI.create("https://skip.me/"))).containsExactly(Proxy.NO_PROXY);
    }
}
