/**
 * The credential seam: where each provider gets the secret for its upstream.
 *
 * <p>Callers use {@link org.anthropicproxy.credentials.CredentialSources#create} with the provider's
 * {@link org.anthropicproxy.credentials.CredentialSettings} and then only
 * {@link org.anthropicproxy.credentials.CredentialSource#current()},
 * {@link org.anthropicproxy.credentials.CredentialSource#refreshAfterRejection} (after an upstream 401) and
 * {@link org.anthropicproxy.credentials.CredentialSource#status()} (for {@code /health}).
 *
 * <h2>README draft: where the proxy finds your credentials</h2>
 *
 * <p>You never paste a token. The proxy reads the one your CLI login saved, notices when you log in again, and
 * refreshes it before it expires (also while no requests flow). Refreshed tokens are written back to the same file
 * (atomically, mode 0600, other fields untouched), so the CLI keeps working. A credential file readable by other
 * users is still used, with one warning. Tokens never appear in logs, errors or {@code /health}.
 *
 * <h3>{@code auth.type: native} (Claude Code Internal gateway) — first match wins</h3>
 * <ol>
 *   <li>environment variable {@code CODEBUDDY_OAUTH_TOKEN} (used as is, never refreshed);</li>
 *   <li>{@code ~/.git-credentials}: the line {@code https://oauth2:<token>@git.woa.com} written by IOA (host set by
 *       {@code auth.git_credentials_host}; never refreshed);</li>
 *   <li>{@code ~/.claude-internal/config.json} ({@code auth.file}, else env {@code CLAUDE_INTERNAL_CONFIG}):
 *       {@code accessToken}, {@code refreshToken}, {@code expiresAt} (epoch ms, 0 = never). Refreshed via
 *       {@code https://copilot.code.woa.com/api/v2/auth/oauth_token/refresh} ({@code auth.refresh_url}, else env
 *       {@code OAUTH_REFRESH_URL}) with client id {@code claude-code-internal} ({@code auth.client_id}, else env
 *       {@code OAUTH_CLIENT_ID}), and watched for changes.</li>
 * </ol>
 * To log in: run {@code claude-internal} and complete its login.
 *
 * <h3>{@code auth.type: codebuddy} (CodeBuddy CLI / IDE plugin)</h3>
 * <ol>
 *   <li>{@code auth.file}, else env {@code CODEBUDDY_AUTH_FILE}: exactly that file;</li>
 *   <li>otherwise, in the auth directory ({@code auth.dir}, else env {@code CODEBUDDY_AUTH_DIR}, else
 *       {@code $XDG_DATA_HOME/CodeBuddyExtension/Data/Public/auth/}, else
 *       {@code ~/.local/share/CodeBuddyExtension/Data/Public/auth/}):
 *       {@code Tencent-Cloud.coding-copilot.info}, then {@code Tencent-Cloud.copilot.info}, then the most recently
 *       modified {@code *.info}. A file with a {@code <name>.logged-out} marker beside it is skipped.</li>
 * </ol>
 * Fields read: {@code auth.accessToken}, {@code auth.refreshToken}, {@code auth.expiresAt} (epoch ms),
 * {@code auth.domain} (else {@code account.sso.domain}), {@code account.uid}, {@code account.enterpriseId} (also
 * sent as tenant id unless {@code account.tenantId} is present). Refreshed via {@code auth.refresh_url}, else
 * {@code https://<auth.domain>/v2/plugin/auth/token/refresh}, else
 * {@code https://copilot.tencent.com/v2/plugin/auth/token/refresh}. WorkBuddy's encrypted auth files cannot be
 * used. To log in: run {@code codebuddy} and complete {@code /login}.
 *
 * <h3>{@code auth.type: static}</h3>
 * {@code auth.token} (the key itself) or {@code auth.token_env} (name of an environment variable holding it).
 * Never refreshed; a 401 from the upstream is reported as a rejected key.
 *
 * <h3>{@code auth.type: none}</h3>
 * No secret is sent.
 *
 * <h3>Timing</h3>
 * <ul>
 *   <li>{@code auth.refresh_buffer} (else env {@code KEY_REFRESH_BUFFER_MS}, milliseconds; default {@code 5m}):
 *       refresh this long before expiry; the background refresher adds up to ±30 s of jitter.</li>
 *   <li>{@code auth.watch_interval} (else env {@code FILE_WATCHER_INTERVAL}, seconds; default {@code 5s}): how
 *       often the credential file is checked for a new login. A file token replaces the one in memory when that
 *       one is expired or rejected, or when the file's expires later.</li>
 *   <li>A failed refresh is retried after 2 s, 4 s, 8 s … capped at 60 s; meanwhile a still valid token is used.
 *       When the endpoint rejects the refresh token, only a new login helps, and errors say so.</li>
 * </ul>
 * Durations are written with a unit: {@code 300000ms}, {@code 300s}, {@code 5m}. Settings in the config win over
 * environment variables.
 */
package org.anthropicproxy.credentials;
