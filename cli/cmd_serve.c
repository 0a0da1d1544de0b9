/*
 * cli/cmd_serve.c - `hoop echo-server` and `hoop http-server`.
 */
#include "cli.h"

int cmd_echo_server(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	cli_err("echo-server: not built into this hoop");
	return CLI_FAIL;
}

int cmd_http_server(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	cli_err("http-server: not built into this hoop");
	return CLI_FAIL;
}
