@client @usage
Feature: The client checks that the server certificate is for a server
  RFC 5280 4.2.1.12: a certificate whose extended key usage lacks
  serverAuth is not for a TLS server.

  Scenario Outline: the client refuses <case> (<rule>)
    Given mtlspec serves the server credential "<case>"
    When the client under test connects to it
    Then the client sends no application data, as "<rule>" requires

    Examples:
      | case                              | rule              |
      | client/usage/eku-client-auth-only | RFC 5280 4.2.1.12 |
