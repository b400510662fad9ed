package org.mineralcds.memory;

/**
 * Whose memory: the patient pseudonym (keyed hash of fhirServer and patient id, see {@link
 * Pseudonyms}) and the caller (the EHR issuer, or {@code local}).
 */
public record PatientKey(String pseudonym, String issuer) {}
