package org.fhircare.hapi;

import ca.uhn.fhir.context.support.IValidationSupport;
import ca.uhn.fhir.jpa.api.config.JpaStorageSettings;
import ca.uhn.fhir.jpa.api.dao.IFhirSystemDao;
import ca.uhn.fhir.jpa.provider.JpaCapabilityStatementProvider;
import ca.uhn.fhir.rest.server.RestfulServer;
import ca.uhn.fhir.rest.server.util.ISearchParamRegistry;
import ca.uhn.fhir.util.FhirTerser;
import org.hl7.fhir.instance.model.api.IBase;
import org.hl7.fhir.instance.model.api.IBaseConformance;

/**
 * HAPI's JPA CapabilityStatement, plus the system interaction {@code batch} and
 * {@code rest.resource.updateCreate}, both of which HAPI does but does not list: HAPI creates a
 * resource on {@code PUT Type/<new id>} when client ids are allowed, but does not say so, and
 * a client (fhircare's sync) reads the CapabilityStatement to learn what a server does.
 */
class CapabilityStatementProvider extends JpaCapabilityStatementProvider {

    private final JpaStorageSettings storageSettings;

    CapabilityStatementProvider(
            RestfulServer server,
            IFhirSystemDao<?, ?> systemDao,
            JpaStorageSettings storageSettings,
            ISearchParamRegistry searchParamRegistry,
            IValidationSupport validationSupport) {
        super(server, systemDao, storageSettings, searchParamRegistry, validationSupport);
        this.storageSettings = storageSettings;
        setImplementationDescription("fhircare HAPI FHIR JPA test server");
    }

    @Override
    protected void postProcess(FhirTerser terser, IBaseConformance capabilityStatement) {
        super.postProcess(terser, capabilityStatement);
        // the system provider's transaction method also runs batches; HAPI lists only the first
        IBase rest = terser.getValues(capabilityStatement, "rest").get(0);
        IBase batch = terser.addElement(rest, "interaction");
        terser.setElement(batch, "code", "batch");
    }

    @Override
    protected void postProcessRestResource(FhirTerser terser, IBase resource, String resourceName) {
        super.postProcessRestResource(terser, resource, resourceName);
        boolean clientIds =
                storageSettings.getResourceClientIdStrategy() != JpaStorageSettings.ClientIdStrategyEnum.NOT_ALLOWED;
        terser.setElement(resource, "updateCreate", Boolean.toString(clientIds));
    }
}
