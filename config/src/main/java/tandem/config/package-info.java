/**
 * tandem.yaml as immutable, validated records.
 *
 * <p>{@link tandem.config.ConfigLoader} reads the file once, collects every problem with its key path
 * ({@code groups.web.checks[1].timeout}) and either returns a complete {@link tandem.config.TandemConfig} with all
 * defaults filled in or throws one {@link tandem.config.ConfigException} naming them all. Nothing is clamped or
 * silently corrected: a wrong setting means the agent does not start. Per-field rules live in the records' compact
 * constructors; rules that relate several fields live in {@link tandem.config.ConfigValidator}.
 */
package tandem.config;
