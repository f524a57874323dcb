@client @protocol-version
Feature: The client does not go down to TLS 1.2 (strict-tls13 profile)
  Under the strict-tls13 profile a client offers TLS 1.3 only, as Mozilla's
  "modern" configuration; under tls12-modern the case is recorded only.

  Scenario Outline: the client refuses <case> (<rule>)
    Given mtlspec serves the server credential "<case>"
    When the client under test connects to it
    Then the client sends no application data, as "<rule>" requires

    Examples:
      | case                      | rule                            |
      | client/version/tls12-only | Mozilla Server Side TLS: modern |
