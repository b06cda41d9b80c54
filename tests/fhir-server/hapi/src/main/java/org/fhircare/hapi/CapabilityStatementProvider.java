package org.fhircare.hapi;

import ca.uhn.fhir.context.support.IValidationSupport;
import ca.uhn.fhir.jpa.api.config.JpaStorageSettings;
import ca.uhn.fhir.jpa.api.dao.IFhirSystemDao;
import ca.uhn.fhir.jpa.provider.JpaCapabilityStatementProvider;
import ca.uhn.fhir.rest.server.RestfulServer;
import ca.uhn.fhir.rest.server.util.ISearchParamRegistry;
import ca.uhn.fhir.util.FhirTerser;
import org.hl7.fhir.instance.model.api.IBase;

/**
 * HAPI's JPA CapabilityStatement, plus {@code rest.resource.updateCreate}: HAPI creates a
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
    protected void postProcessRestResource(FhirTerser terser, IBase resource, String resourceName) {
        super.postProcessRestResource(terser, resource, resourceName);
        boolean clientIds =
                storageSettings.getResourceClientIdStrategy() != JpaStorageSettings.ClientIdStrategyEnum.NOT_ALLOWED;
        terser.setElement(resource, "updateCreate", Boolean.toString(clientIds));
    }
}
