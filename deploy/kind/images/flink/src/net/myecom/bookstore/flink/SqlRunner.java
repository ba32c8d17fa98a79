package net.myecom.bookstore.flink;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.StatementSet;
import org.apache.flink.table.api.TableEnvironment;

/**
 * Runs a Flink SQL script in application mode (the FlinkDeployment's job): the Kubernetes counterpart of local mode's
 * `sql-client.sh -f`. The script is analytics/flink/star.sql.j2 rendered at image build time with ${NAME}
 * placeholders where local mode puts the Kafka address and analytics-db's login; they are filled from the
 * environment here, so no password is in the image. Supported statements: SET 'key' = 'value'; DDL; and one
 * EXECUTE STATEMENT SET BEGIN ... END; block (the job).
 */
public final class SqlRunner {
    private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([A-Z][A-Z0-9_]*)}");
    private static final Pattern SET = Pattern.compile("(?is)^SET\\s+'([^']+)'\\s*=\\s*'([^']*)'$");
    private static final String STATEMENT_SET = "EXECUTE STATEMENT SET";

    private SqlRunner() {}

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            throw new IllegalArgumentException("usage: SqlRunner <script.sql>");
        }
        String script = substitute(Files.readString(Path.of(args[0]), StandardCharsets.UTF_8), System.getenv());
        TableEnvironment tableEnv = TableEnvironment.create(EnvironmentSettings.inStreamingMode());
        for (String statement : split(script)) {
            Matcher set = SET.matcher(statement);
            if (set.matches()) {
                tableEnv.getConfig().getConfiguration().setString(set.group(1), set.group(2));
            } else if (statement.toUpperCase(Locale.ROOT).startsWith(STATEMENT_SET)) {
                StatementSet inserts = tableEnv.createStatementSet();
                for (String insert : split(body(statement))) {
                    inserts.addInsertSql(insert);
                }
                inserts.execute();
            } else {
                tableEnv.executeSql(statement);
            }
        }
    }

    /** Replaces every ${NAME} with the environment's value; a missing variable stops the job with its name. */
    static String substitute(String script, Map<String, String> env) {
        Matcher matcher = PLACEHOLDER.matcher(script);
        StringBuilder out = new StringBuilder();
        while (matcher.find()) {
            String value = env.get(matcher.group(1));
            if (value == null) {
                throw new IllegalStateException("environment variable " + matcher.group(1) + " is not set");
            }
            // Values are inside SQL string literals: a quote is doubled.
            matcher.appendReplacement(out, Matcher.quoteReplacement(value.replace("'", "''")));
        }
        matcher.appendTail(out);
        return out.toString();
    }

    /**
     * Statements end with ';' at the end of a line; a BEGIN ... END; block is one statement. Lines starting with
     * "--" are comments.
     */
    static List<String> split(String script) {
        List<String> statements = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        boolean inBlock = false;
        for (String line : script.split("\n", -1)) {
            String trimmed = line.strip();
            if (trimmed.isEmpty() || trimmed.startsWith("--")) {
                continue;
            }
            current.append(line).append('\n');
            String upper = trimmed.toUpperCase(Locale.ROOT);
            if (upper.equals("BEGIN")) {
                inBlock = true;
            } else if (inBlock ? upper.equals("END;") : trimmed.endsWith(";")) {
                inBlock = false;
                String statement = current.toString().strip();
                statements.add(statement.substring(0, statement.length() - 1).strip());
                current.setLength(0);
            }
        }
        if (!current.toString().isBlank()) {
            throw new IllegalArgumentException("the script ends inside a statement: " + current.toString().strip());
        }
        return statements;
    }

    /** The statements between BEGIN and END of an EXECUTE STATEMENT SET block (END's ';' already removed). */
    static String body(String block) {
        int begin = block.toUpperCase(Locale.ROOT).indexOf("BEGIN");
        int end = block.toUpperCase(Locale.ROOT).lastIndexOf("END");
        return block.substring(begin + "BEGIN".length(), end);
    }
}
