package org.fhircare.hapi;

import ca.uhn.fhir.batch2.jobs.config.BatchCommonCtx;
import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.support.IValidationSupport;
import ca.uhn.fhir.jpa.api.config.JpaStorageSettings;
import ca.uhn.fhir.jpa.api.config.ThreadPoolFactoryConfig;
import ca.uhn.fhir.jpa.api.config.JpaStorageSettings.ClientIdStrategyEnum;
import ca.uhn.fhir.jpa.api.dao.IFhirSystemDao;
import ca.uhn.fhir.jpa.batch2.JpaBatch2Config;
import ca.uhn.fhir.jpa.config.HapiJpaConfig;
import ca.uhn.fhir.jpa.config.r4.JpaR4Config;
import ca.uhn.fhir.jpa.config.util.HapiEntityManagerFactoryUtil;
import ca.uhn.fhir.jpa.model.config.PartitionSettings;
import ca.uhn.fhir.jpa.model.config.SubscriptionSettings;
import ca.uhn.fhir.jpa.model.dialect.HapiFhirH2Dialect;
import ca.uhn.fhir.jpa.provider.JpaSystemProvider;
import ca.uhn.fhir.jpa.search.DatabaseBackedPagingProvider;
import ca.uhn.fhir.jpa.subscription.channel.config.SubscriptionChannelConfig;
import ca.uhn.fhir.rest.api.EncodingEnum;
import ca.uhn.fhir.rest.server.RestfulServer;
import ca.uhn.fhir.rest.server.provider.ResourceProviderFactory;
import ca.uhn.fhir.rest.server.util.ISearchParamRegistry;
import jakarta.persistence.EntityManagerFactory;
import java.util.HashMap;
import java.util.Map;
import javax.sql.DataSource;
import org.apache.commons.dbcp2.BasicDataSource;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.orm.jpa.JpaTransactionManager;
import org.springframework.orm.jpa.LocalContainerEntityManagerFactoryBean;

/**
 * HAPI's JPA server for R4 (JpaR4Config, HapiJpaConfig) on H2, configured only as a shared
 * care record would be: see README.md for each setting and why.
 */
@Configuration
// HAPI's background jobs (batch2) run on in-memory channels, as in HAPI's own starter server
@Import({
    JpaR4Config.class,
    HapiJpaConfig.class,
    JpaBatch2Config.class,
    BatchCommonCtx.class,
    SubscriptionChannelConfig.class,
    ThreadPoolFactoryConfig.class
})
public class ServerConfig {

    /** Search results per page when the client gives no _count, and the most it may ask for. */
    static final int DEFAULT_PAGE_SIZE = 20;

    static final int MAXIMUM_PAGE_SIZE = 500;

    @Bean
    public JpaStorageSettings storageSettings() {
        JpaStorageSettings settings = new JpaStorageSettings();
        // client-assigned ids (fhircare's UUIDs) may create resources: PUT Type/<new id>.
        // ALPHANUMERIC is HAPI's default: any id but a purely numeric one, which stays free
        // for the server's own sequential ids.
        settings.setResourceClientIdStrategy(ClientIdStrategyEnum.ALPHANUMERIC);
        // referential integrity: a reference to nothing is refused, and so is deleting a
        // resource others refer to; nothing is invented to make a reference resolve
        settings.setEnforceReferentialIntegrityOnWrite(true);
        settings.setEnforceReferentialIntegrityOnDelete(true);
        settings.setAutoCreatePlaceholderReferenceTargets(false);
        settings.setAllowExternalReferences(false);
        // $expunge, with expungeEverything at system level, so tests can empty the server.
        // HAPI allows expungeEverything only where multiple delete is allowed, which also lets
        // a conditional delete remove every match (advertised: conditionalDelete = multiple);
        // fhircare never deletes, so that costs the tests nothing.
        settings.setExpungeEnabled(true);
        settings.setAllowMultipleDelete(true);
        // no reuse of an identical search's results for a minute (HAPI's default): a search
        // right after a write must see it, as the sync's identity searches and censuses expect
        settings.setReuseCachedSearchResultsForMillis(null);
        return settings;
    }

    @Bean
    public PartitionSettings partitionSettings() {
        return new PartitionSettings();
    }

    @Bean
    public SubscriptionSettings subscriptionSettings() {
        return new SubscriptionSettings();
    }

    @Bean(destroyMethod = "close")
    public BasicDataSource dataSource(Options options) {
        BasicDataSource dataSource = new BasicDataSource();
        dataSource.setDriverClassName("org.h2.Driver");
        dataSource.setUrl(options.jdbcUrl());
        dataSource.setUsername("sa");
        dataSource.setPassword("");
        dataSource.setMaxTotal(20);
        return dataSource;
    }

    @Bean
    public LocalContainerEntityManagerFactoryBean entityManagerFactory(
            ConfigurableListableBeanFactory beans,
            FhirContext fhirContext,
            JpaStorageSettings storageSettings,
            DataSource dataSource) {
        LocalContainerEntityManagerFactoryBean factory =
                HapiEntityManagerFactoryUtil.newEntityManagerFactory(beans, fhirContext, storageSettings);
        factory.setPersistenceUnitName("HAPI_PU");
        factory.setDataSource(dataSource);
        Map<String, Object> hibernate = new HashMap<>();
        hibernate.put("hibernate.dialect", HapiFhirH2Dialect.class.getName());
        // the schema comes from HAPI's entities (kept in a file database across restarts)
        hibernate.put("hibernate.hbm2ddl.auto", "update");
        hibernate.put("hibernate.jdbc.batch_size", "20");
        hibernate.put("hibernate.cache.use_query_cache", "false");
        hibernate.put("hibernate.cache.use_second_level_cache", "false");
        hibernate.put("hibernate.cache.use_structured_entries", "false");
        hibernate.put("hibernate.cache.use_minimal_puts", "false");
        hibernate.put("hibernate.show_sql", "false");
        hibernate.put("hibernate.format_sql", "false");
        // no full-text index (Lucene/Elasticsearch): a shared care record searches by parameters
        hibernate.put("hibernate.search.enabled", "false");
        // the entities are listed by Spring (HAPI's packages); Hibernate scanning the whole
        // server jar for more of them took most of the start-up time
        hibernate.put("hibernate.archive.scanner", "org.hibernate.boot.archive.scan.internal.DisabledScanner");
        factory.setJpaPropertyMap(hibernate);
        return factory;
    }

    @Bean
    public JpaTransactionManager transactionManager(EntityManagerFactory entityManagerFactory) {
        return new JpaTransactionManager(entityManagerFactory);
    }

    @Bean
    public RestfulServer restfulServer(
            FhirContext fhirContext,
            IFhirSystemDao<?, ?> systemDao,
            @Qualifier("myResourceProvidersR4") ResourceProviderFactory resourceProviders,
            JpaSystemProvider<?, ?> systemProvider,
            DatabaseBackedPagingProvider pagingProvider,
            JpaStorageSettings storageSettings,
            ISearchParamRegistry searchParamRegistry,
            IValidationSupport validationSupport) {
        RestfulServer server = new RestfulServer(fhirContext);
        server.registerProviders(resourceProviders.createProviders());
        // transaction and batch, $expunge, $meta, history at system level
        server.registerProvider(systemProvider);
        server.setServerConformanceProvider(new CapabilityStatementProvider(
                server, systemDao, storageSettings, searchParamRegistry, validationSupport));
        // paging: _count, and next links that page through results kept in the database
        pagingProvider.setDefaultPageSize(DEFAULT_PAGE_SIZE);
        pagingProvider.setMaximumPageSize(MAXIMUM_PAGE_SIZE);
        server.setPagingProvider(pagingProvider);
        server.setDefaultResponseEncoding(EncodingEnum.JSON);
        return server;
    }
}
