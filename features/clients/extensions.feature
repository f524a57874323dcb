@client @extensions
Feature: The client honours critical extensions and name constraints
  RFC 5280 4.2: a certificate with a critical extension the client does
  not know must be rejected; 4.2.1.10: names outside a CA's permitted
  subtrees must be rejected.

  Scenario Outline: the client refuses <case> (<rule>)
    Given mtlspec serves the server credential "<case>"
    When the client under test connects to it
    Then the client sends no application data, as "<rule>" requires

    Examples:
      | case                               | rule              |
      | client/extensions/unknown-critical | RFC 5280 4.2      |
      | client/extensions/name-constraints | RFC 5280 4.2.1.10 |
