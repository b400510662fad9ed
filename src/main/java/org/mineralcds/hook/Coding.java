package org.mineralcds.hook;

/** A CDS Hooks Coding: code and system required, display optional. */
public record Coding(String system, String code, String display) {}
