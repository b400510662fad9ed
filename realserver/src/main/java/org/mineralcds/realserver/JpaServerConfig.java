package org.mineralcds.realserver;

import ca.uhn.fhir.batch2.jobs.config.Batch2JobsConfig;
import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.jpa.api.config.JpaStorageSettings;
import ca.uhn.fhir.jpa.api.config.ThreadPoolFactoryConfig;
import ca.uhn.fhir.jpa.batch2.JpaBatch2Config;
import ca.uhn.fhir.jpa.config.HapiJpaConfig;
import ca.uhn.fhir.jpa.config.r4.JpaR4Config;
import ca.uhn.fhir.jpa.config.util.HapiEntityManagerFactoryUtil;
import ca.uhn.fhir.jpa.model.config.PartitionSettings;
import ca.uhn.fhir.jpa.subscription.channel.config.SubscriptionChannelConfig;
import jakarta.persistence.EntityManagerFactory;
import java.util.Properties;
import javax.sql.DataSource;
import org.apache.commons.dbcp2.BasicDataSource;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.Primary;
import org.springframework.orm.jpa.JpaTransactionManager;
import org.springframework.orm.jpa.LocalContainerEntityManagerFactoryBean;

/**
 * The Spring context of the JPA server: HAPI's R4 JPA configuration plus what it expects the
 * application to supply (data source, entity manager factory, transaction manager, storage and
 * partition settings, in-memory message channels for batch jobs). No full-text indexing, no
 * validation.
 */
@Configuration
@Import({
  JpaR4Config.class,
  HapiJpaConfig.class,
  JpaBatch2Config.class,
  Batch2JobsConfig.class,
  SubscriptionChannelConfig.class,
  ThreadPoolFactoryConfig.class
})
public class JpaServerConfig {

  @Bean
  public DataSource dataSource(Database database) {
    BasicDataSource dataSource = new BasicDataSource();
    dataSource.setUrl(database.url());
    dataSource.setUsername(database.user());
    dataSource.setPassword(database.password());
    dataSource.setMaxTotal(database.maxConnections());
    dataSource.setMaxWait(java.time.Duration.ofSeconds(30));
    return dataSource;
  }

  @Bean
  public JpaStorageSettings storageSettings() {
    JpaStorageSettings settings = new JpaStorageSettings();
    // Loading speed and tolerance: no validation, ids chosen by clients accepted, conditional
    // references (Synthea's "Practitioner?identifier=...") resolved inside transactions.
    settings.setResourceClientIdStrategy(JpaStorageSettings.ClientIdStrategyEnum.ANY);
    settings.setAllowInlineMatchUrlReferences(true);
    settings.setAllowExternalReferences(true);
    // The loader sends a patient's record in independent pieces (see Loader).
    settings.setEnforceReferentialIntegrityOnWrite(false);
    settings.setMassIngestionMode(true);
    settings.setTagStorageMode(JpaStorageSettings.TagStorageModeEnum.INLINE);
    settings.setStoreMetaSourceInformation(JpaStorageSettings.StoreMetaSourceInformationEnum.NONE);
    settings.setAutoCreatePlaceholderReferenceTargets(false);
    settings.setIndexMissingFields(JpaStorageSettings.IndexEnabledEnum.DISABLED);
    settings.setAdvancedHSearchIndexing(false);
    settings.setDefaultSearchParamsCanBeOverridden(false);
    settings.setFetchSizeDefaultMaximum(100_000);
    return settings;
  }

  @Bean
  public PartitionSettings partitionSettings() {
    return new PartitionSettings();
  }

  @Bean
  public LocalContainerEntityManagerFactoryBean entityManagerFactory(
      ConfigurableListableBeanFactory beanFactory,
      FhirContext fhirContext,
      JpaStorageSettings storageSettings,
      DataSource dataSource,
      Database database) {
    LocalContainerEntityManagerFactoryBean factory =
        HapiEntityManagerFactoryUtil.newEntityManagerFactory(
            beanFactory, fhirContext, storageSettings);
    factory.setPersistenceUnitName("mineral_cds_real_server");
    factory.setDataSource(dataSource);
    Properties jpa = new Properties();
    jpa.put("hibernate.dialect", database.dialect());
    jpa.put("hibernate.hbm2ddl.auto", "update");
    jpa.put("hibernate.search.enabled", "false");
    jpa.put("hibernate.format_sql", "false");
    jpa.put("hibernate.show_sql", "false");
    jpa.put("hibernate.jdbc.batch_size", "50");
    jpa.put("hibernate.order_inserts", "true");
    jpa.put("hibernate.order_updates", "true");
    factory.setJpaProperties(jpa);
    return factory;
  }

  @Bean
  @Primary
  public JpaTransactionManager transactionManager(EntityManagerFactory entityManagerFactory) {
    JpaTransactionManager manager = new JpaTransactionManager();
    manager.setEntityManagerFactory(entityManagerFactory);
    return manager;
  }
}
