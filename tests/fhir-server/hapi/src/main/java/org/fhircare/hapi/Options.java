package org.fhircare.hapi;

import java.nio.file.Path;
import java.util.Locale;

/**
 * The command line: {@code --port N} (or the system property {@code fhircare.hapi.port}) and
 * {@code --database DIR} (or {@code fhircare.hapi.database}) for an H2 file database in DIR
 * instead of the default in-memory one.
 */
record Options(int port, Path databaseFolder) {

    static final String USAGE = "usage: java -jar fhircare-hapi-test-server.jar [--port N] [--database DIR]";

    static Options parse(String[] args) {
        String port = System.getProperty("fhircare.hapi.port", "8080");
        String database = System.getProperty("fhircare.hapi.database");
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (arg.startsWith("--port=")) {
                port = arg.substring("--port=".length());
            } else if (arg.startsWith("--database=")) {
                database = arg.substring("--database=".length());
            } else if ((arg.equals("--port") || arg.equals("--database")) && i + 1 < args.length) {
                if (arg.equals("--port")) {
                    port = args[++i];
                } else {
                    database = args[++i];
                }
            } else {
                throw new IllegalArgumentException("unknown argument " + arg + "\n" + USAGE);
            }
        }
        int number;
        try {
            number = Integer.parseInt(port.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--port: not a number: " + port + "\n" + USAGE);
        }
        if (number < 1 || number > 65535) {
            throw new IllegalArgumentException("--port: out of range: " + number);
        }
        Path folder = database == null || database.isBlank() ? null : Path.of(database).toAbsolutePath();
        return new Options(number, folder);
    }

    /** The JDBC URL of the H2 database this server keeps its resources in. */
    String jdbcUrl() {
        if (databaseFolder == null) {
            // one named in-memory database shared by every pooled connection, kept until exit
            return "jdbc:h2:mem:fhircare-hapi;DB_CLOSE_DELAY=-1";
        }
        return "jdbc:h2:file:" + databaseFolder.resolve("hapi").toString().replace('\\', '/');
    }

    String baseUrl() {
        return String.format(Locale.ROOT, "http://127.0.0.1:%d/fhir", port);
    }
}
