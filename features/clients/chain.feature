@client @chain
Feature: The client builds and checks the server's certificate path
  RFC 5280 6.1: every certificate must chain to a trust anchor the client
  was given, through CAs that are CAs and within their path length. A missing
  intermediate is recorded only: a client may fetch it (AIA) or know it.

  Scenario Outline: the client refuses <case> (<rule>)
    Given mtlspec serves the server credential "<case>"
    When the client under test connects to it
    Then the client sends no application data, as "<rule>" requires

    Examples:
      | case                          | rule             |
      | client/chain/untrusted-ca     | RFC 5280 6.1     |
      | client/chain/self-signed      | RFC 5280 6.1     |
      | client/chain/impostor-ca      | RFC 5280 6.1.3   |
      | client/chain/pathlen-exceeded | RFC 5280 4.2.1.9 |
      | client/chain/issuer-not-ca    | RFC 5280 6.1.4   |

  Scenario Outline: the client is observed with <case> (<rule>)
    Given mtlspec serves the server credential "<case>"
    When the client under test connects to it
    Then what the client did is recorded, as "<rule>" describes

    Examples:
      | case                              | rule           |
      | client/chain/intermediate-missing | RFC 8446 4.4.2 |
