package org.anthropicproxy.provider.openai;

import java.util.Map;
import org.anthropicproxy.config.ProviderSettings;
import org.anthropicproxy.credentials.Credential;
import org.eclipse.jetty.http.HttpFields;

/** Owns the request headers {@link OpenAiProvider} sends upstream: content type, credential, account, configured. */
final class UpstreamHeaders {

    private final ProviderSettings settings;

    UpstreamHeaders(ProviderSettings settings) {
        this.settings = settings;
    }

    HttpFields headers(Credential credential, boolean stream) {
        HttpFields.Mutable h = HttpFields.build();
        h.put("content-type", "application/json");
        h.put("accept", stream ? "text/event-stream" : "application/json");
        if (credential != null
                && credential.secret() != null
                && !credential.secret().isEmpty()) {
            h.put("authorization", "Bearer " + credential.secret());
        }
        if (credential != null && credential.account() != null) {
            Map<String, String> a = credential.account();
            putIf(h, "X-User-Id", a.get("uid"));
            putIf(h, "X-Enterprise-Id", a.get("enterpriseId"));
            putIf(h, "X-Tenant-Id", a.getOrDefault("tenantId", a.get("enterpriseId")));
            putIf(h, "X-Domain", a.get("domain"));
        }
        settings.headers().forEach(h::put);
        return h;
    }

    private static void putIf(HttpFields.Mutable h, String name, String value) {
        if (value != null && !value.isEmpty()) {
            h.put(name, value);
        }
    }
}
