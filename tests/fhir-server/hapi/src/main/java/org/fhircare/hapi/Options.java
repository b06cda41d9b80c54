package org.fhircare.hapi;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The command line: {@code --port N} (or the system property {@code fhircare.hapi.port}),
 * {@code --database DIR} (or {@code fhircare.hapi.database}) for an H2 file database in DIR
 * instead of the default in-memory one, and {@code --host} (a loopback address only: this
 * server has no authentication, so it never listens beyond this machine).
 */
record Options(String host, int port, Path databaseFolder) {

    static final String USAGE =
            "usage: java -jar fhircare-hapi-test-server.jar [--port N] [--database DIR] [--host 127.0.0.1]";

    static Options parse(String[] args) {
        String port = System.getProperty("fhircare.hapi.port", "8080");
        String database = System.getProperty("fhircare.hapi.database");
        String host = "127.0.0.1";
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            String name = arg.contains("=") ? arg.substring(0, arg.indexOf('=')) : arg;
            String value;
            if (arg.contains("=")) {
                value = arg.substring(arg.indexOf('=') + 1);
            } else if (i + 1 < args.length) {
                value = args[++i];
            } else {
                throw new IllegalArgumentException(arg + ": needs a value\n" + USAGE);
            }
            switch (name) {
                case "--port" -> port = value;
                case "--database" -> database = value;
                case "--host" -> host = value;
                default -> throw new IllegalArgumentException("unknown argument " + arg + "\n" + USAGE);
            }
        }
        if (!isLoopback(host)) {
            throw new IllegalArgumentException("--host: " + host + " is not a loopback address (127.0.0.1)");
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
        return new Options(host, number, folder);
    }

    private static boolean isLoopback(String host) {
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    /** The JDBC URL of the H2 database this server keeps its resources in. */
    String jdbcUrl() {
        if (databaseFolder == null) {
            // one named in-memory database shared by every pooled connection, kept until exit
            return "jdbc:h2:mem:fhircare-hapi;DB_CLOSE_DELAY=-1";
        }
        return "jdbc:h2:file:" + databaseFolder.resolve("hapi").toString().replace('\\', '/')
                // no trace file beside the database (Hibernate's harmless temporary-table notices)
                + ";TRACE_LEVEL_FILE=0";
    }

    String baseUrl() {
        String name = host.contains(":") ? "[" + host + "]" : host;
        return String.format(Locale.ROOT, "http://%s:%d/fhir", name, port);
    }
}
