# conf: the documented sample configuration, installed as the default config.
orgbridgeconfdir = $(sysconfdir)/orgbridge
dist_orgbridgeconf_DATA = conf/orgbridge.conf
