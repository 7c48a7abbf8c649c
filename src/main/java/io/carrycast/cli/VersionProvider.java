package io.carrycast.cli;

import picocli.CommandLine;

/** The version from the jar's manifest, or "development" when run from classes. */
final class VersionProvider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
        String version = CarrycastCommand.class.getPackage().getImplementationVersion();
        return new String[] {"carrycast " + (version == null ? "development" : version)};
    }
}
