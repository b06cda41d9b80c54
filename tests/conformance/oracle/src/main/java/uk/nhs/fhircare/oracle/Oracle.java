package uk.nhs.fhircare.oracle;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;

import org.hl7.fhir.model.utilities.formats.FhirFormat;
import org.hl7.fhir.utilities.FhirPublication;
import org.hl7.fhir.utilities.validation.ValidationMessage;
import org.hl7.fhir.services.validation.constants.ReferenceValidationPolicy;
import org.hl7.fhir.validation.ValidationEngine;
import org.hl7.fhir.validation.instance.advisor.BasePolicyAdvisorForFullValidation;
import org.hl7.fhir.validation.service.StandAloneValidatorFetcher;

/**
 * The HL7 reference validator (org.hl7.fhir.validation, pinned in pom.xml) as fhircare's
 * differential oracle: R4 core from the local package cache, the IGs named on the command line,
 * no terminology server, nothing fetched from the network.
 *
 * <pre>
 *   java -jar oracle.jar serve --ig DIR [--ig DIR ...]
 *       stdin:  one JSON request a line  {"id": "...", "path": "/abs/file.json", "profiles": ["url", ...]}
 *       stdout: one JSON answer a line   {"id": "...", "issues": [{"severity", "location", "message", "messageId", "type"}]}
 *   java -jar oracle.jar bench --ig DIR ... --rounds N [--profile URL] FILE...
 *       validates the files N times after a warm-up round; prints per-round microseconds per resource
 * </pre>
 *
 * <p>Answers go to stdout only; everything the library prints goes to stderr.
 */
public final class Oracle {
  private Oracle() {}

  public static void main(String[] args) throws Exception {
    PrintStream answers = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true, StandardCharsets.UTF_8);
    System.setOut(System.err); // the library's chatter must never mix with the answers
    if (args.length == 0) {
      System.err.println("usage: oracle serve|bench --ig DIR ...");
      System.exit(2);
    }
    List<String> igs = new ArrayList<>();
    List<String> files = new ArrayList<>();
    List<String> profiles = new ArrayList<>();
    int rounds = 5;
    for (int i = 1; i < args.length; i++) {
      switch (args[i]) {
        case "--ig" -> igs.add(args[++i]);
        case "--rounds" -> rounds = Integer.parseInt(args[++i]);
        case "--profile" -> profiles.add(args[++i]);
        default -> files.add(args[i]);
      }
    }
    ValidationEngine engine = engine(igs);
    if (args[0].equals("serve")) {
      serve(engine, answers);
    } else if (args[0].equals("bench")) {
      bench(engine, files, profiles, rounds, answers);
    } else {
      System.err.println("unknown command " + args[0]);
      System.exit(2);
    }
  }

  static ValidationEngine engine(List<String> igs) throws Exception {
    ValidationEngine engine = new ValidationEngine.ValidationEngineBuilder()
        .withVersion("4.0.1")
        .withNoTerminologyServer()
        .withCanRunWithoutTerminologyServer(true)
        .withUserAgent("fhircare-oracle")
        .fromSource("hl7.fhir.r4.core#4.0.1");
    for (String ig : igs) {
      engine.getIgLoader().loadIg(engine.getIgs(), engine.getBinaries(), ig, false);
    }
    engine.setAnyExtensionsAllowed(false);
    // as the validator's own command line sets it up: its stand-alone fetcher, full
    // validation, references to resources outside the one validated not followed, and
    // relative references taken as REST URLs on a FHIR server (-assumeValidRestReferences:
    // the shared care record is one), so the type Observation/1 names is checked against the
    // element's targets though the target is not at hand. That is fhircare's rule: it sees
    // one resource or Bundle at a time, so it can check Patient/1's type but not that
    // Patient/1 exists.
    engine.setAssumeValidRestReferences(true);
    StandAloneValidatorFetcher fetcher = new StandAloneValidatorFetcher(engine.getPcm(), engine.getContext(), engine);
    engine.setFetcher(fetcher);
    engine.getContext().setLocator(fetcher);
    engine.setPolicyAdvisor(fetcher);
    fetcher.setReferencePolicy(ReferenceValidationPolicy.CHECK_TYPE_IF_EXISTS);
    fetcher.setPolicyAdvisor(
        new BasePolicyAdvisorForFullValidation(ReferenceValidationPolicy.CHECK_TYPE_IF_EXISTS, engine.getCheckReferencesTo()));
    engine.prepare();
    return engine;
  }

  static List<ValidationMessage> validate(ValidationEngine engine, byte[] data, List<String> profiles) throws Exception {
    List<ValidationMessage> messages = new ArrayList<>();
    engine.validate(data, FhirFormat.JSON, profiles, messages);
    return messages;
  }

  static void serve(ValidationEngine engine, PrintStream answers) throws Exception {
    Gson gson = new Gson();
    answers.println("{\"ready\": true}");
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String line;
    while ((line = in.readLine()) != null) {
      if (line.isBlank()) {
        continue;
      }
      JsonObject request = gson.fromJson(line, JsonObject.class);
      JsonObject answer = new JsonObject();
      answer.add("id", request.get("id"));
      List<String> profiles = new ArrayList<>();
      if (request.has("profiles")) {
        request.getAsJsonArray("profiles").forEach(p -> profiles.add(p.getAsString()));
      }
      try {
        byte[] data = Files.readAllBytes(Path.of(request.get("path").getAsString()));
        JsonArray issues = new JsonArray();
        for (ValidationMessage m : validate(engine, data, profiles)) {
          JsonObject issue = new JsonObject();
          issue.addProperty("severity", m.getLevel().toCode());
          issue.addProperty("location", m.getLocation());
          issue.addProperty("message", m.getMessage());
          issue.addProperty("messageId", m.getMessageId());
          issue.addProperty("type", m.getType() == null ? null : m.getType().toCode());
          issue.addProperty("line", m.getLine());
          issues.add(issue);
        }
        answer.add("issues", issues);
      } catch (Exception | StackOverflowError e) {
        answer.addProperty("crash", e.getClass().getSimpleName() + ": " + e.getMessage());
      }
      answers.println(gson.toJson(answer));
    }
  }

  static void bench(ValidationEngine engine, List<String> files, List<String> profiles, int rounds, PrintStream answers)
      throws Exception {
    // each FILE may name its own profile as FILE::PROFILE (validated against that profile too)
    List<byte[]> corpus = new ArrayList<>();
    List<List<String>> wanted = new ArrayList<>();
    for (String f : files) {
      String[] parts = f.split("::", 2);
      corpus.add(Files.readAllBytes(Path.of(parts[0])));
      List<String> p = new ArrayList<>(profiles);
      if (parts.length == 2) {
        p.add(parts[1]);
      }
      wanted.add(p);
    }
    for (int warm = 0; warm < 3; warm++) {
      for (int i = 0; i < corpus.size(); i++) {
        validate(engine, corpus.get(i), wanted.get(i));
      }
    }
    double[] perResource = new double[rounds];
    for (int r = 0; r < rounds; r++) {
      long start = System.nanoTime();
      for (int i = 0; i < corpus.size(); i++) {
        validate(engine, corpus.get(i), wanted.get(i));
      }
      perResource[r] = (System.nanoTime() - start) / 1000.0 / corpus.size();
    }
    JsonObject out = new JsonObject();
    JsonArray values = new JsonArray();
    Arrays.stream(perResource).forEach(values::add);
    out.add("us_per_resource", values);
    answers.println(new Gson().toJson(out));
  }

  static FhirPublication r4() {
    return FhirPublication.R4;
  }
}
