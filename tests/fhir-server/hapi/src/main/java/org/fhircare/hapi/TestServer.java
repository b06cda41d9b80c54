package org.fhircare.hapi;

import ca.uhn.fhir.rest.server.RestfulServer;
import java.util.Arrays;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.springframework.context.annotation.AnnotationConfigApplicationContext;

/**
 * fhircare's HAPI FHIR JPA test server: builds HAPI's JPA server (Spring, Hibernate, H2) from
 * {@link ServerConfig}, then serves it with Jetty on 127.0.0.1 (loopback only), at
 * {@code http://127.0.0.1:<port>/fhir}. The port opens only once the server is ready.
 */
public final class TestServer {

    private TestServer() {}

    public static void main(String[] args) throws Exception {
        if (Arrays.asList(args).contains("--help")) {
            System.out.println(Options.USAGE);
            return;
        }
        Options options;
        try {
            options = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }
        long started = System.nanoTime();

        AnnotationConfigApplicationContext spring = new AnnotationConfigApplicationContext();
        spring.registerBean(Options.class, () -> options);
        spring.register(ServerConfig.class);
        try {
            spring.refresh();
        } catch (RuntimeException e) {
            // e.g. a --database folder another server holds open: say why in one line, and
            // exit even if some of HAPI's threads were started
            Throwable cause = e;
            while (cause.getCause() != null) {
                cause = cause.getCause();
            }
            System.err.println("the HAPI test server could not start: " + cause);
            System.exit(1);
            return;
        }

        // a small pool: the sync's concurrency is bounded and the machine has 2 cores
        QueuedThreadPool threads = new QueuedThreadPool(32, 4);
        threads.setName("http");
        Server jetty = new Server(threads);
        ServerConnector connector = new ServerConnector(jetty);
        connector.setHost(options.host());
        connector.setPort(options.port());
        jetty.addConnector(connector);
        ServletContextHandler context = new ServletContextHandler();
        context.setContextPath("/");
        ServletHolder fhir = new ServletHolder("fhir", spring.getBean(RestfulServer.class));
        fhir.setInitOrder(1);
        context.addServlet(fhir, "/fhir/*");
        jetty.setHandler(context);
        jetty.setStopAtShutdown(true);
        jetty.setStopTimeout(5_000);
        spring.registerShutdownHook();
        try {
            jetty.start();
        } catch (Exception e) {
            System.err.println("cannot listen on " + options.host() + ":" + options.port() + ": " + e.getMessage());
            spring.close();
            System.exit(2);
            return;
        }
        System.out.printf(
                "fhircare HAPI FHIR test server ready at %s (%.1f s)%n",
                options.baseUrl(), (System.nanoTime() - started) / 1e9);
        System.out.flush();
        jetty.join();
    }
}
