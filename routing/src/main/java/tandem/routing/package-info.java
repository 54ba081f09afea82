/**
 * Moving traffic with a group's primary: a floating IP ({@code vip}), a TCP proxy to the
 * primary ({@code proxy}) and DNS answers ({@code dns}).
 */
package tandem.routing;
