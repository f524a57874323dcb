@client @validity
Feature: The client checks the server certificate's validity period
  RFC 5280 4.1.2.5 and 6.1.3: path validation checks the current time
  against notBefore and notAfter of every certificate.

  Scenario Outline: the client refuses <case> (<rule>)
    Given mtlspec serves the server credential "<case>"
    When the client under test connects to it
    Then the client sends no application data, as "<rule>" requires

    Examples:
      | case                          | rule             |
      | client/validity/expired       | RFC 5280 4.1.2.5 |
      | client/validity/not-yet-valid | RFC 5280 4.1.2.5 |
