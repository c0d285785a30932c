#!/usr/bin/python3
"""A bare WebKitGTK window for WebKitWebDriver: a page, and nothing around it.

MiniBrowser, WebKitGTK's own test browser, has a toolbar that keeps its window at least
447 px wide, wider than a phone; and with no window manager under Xvfb it cannot go full
screen. This window has no toolbar and no decorations, so the page's viewport is exactly
--width by --height CSS pixels. WebKitWebDriver starts it as `webkitgtk:browserOptions`'
binary; the driver's session creates the web view through the automation session.

usage: webkit-window.py --width 390 --height 844 [--user-agent UA] [--automation]
"""

import argparse
import sys

import gi

gi.require_version("Gtk", "3.0")
gi.require_version("WebKit2", "4.1")
from gi.repository import Gtk, WebKit2  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--width", type=int, default=390)
    parser.add_argument("--height", type=int, default=844)
    parser.add_argument("--user-agent")
    parser.add_argument("--automation", action="store_true", help="accepted: WebKitWebDriver may pass it")
    options, _ = parser.parse_known_args()

    # A data manager of its own, in memory: each window is a browser with its own cookies.
    context = WebKit2.WebContext.new_with_website_data_manager(WebKit2.WebsiteDataManager.new_ephemeral())
    context.set_automation_allowed(True)
    settings = WebKit2.Settings()
    if options.user_agent:
        settings.set_user_agent(options.user_agent)
    windows = []

    def create_web_view(_session):
        view = WebKit2.WebView(web_context=context, settings=settings, is_controlled_by_automation=True)
        window = Gtk.Window()
        window.set_default_size(options.width, options.height)
        window.set_decorated(False)
        window.add(view)
        view.connect("close", lambda _view: window.destroy())
        window.connect("destroy", lambda _window: windows.remove(window) or (windows or Gtk.main_quit()))
        windows.append(window)
        window.show_all()
        return view

    def automation_started(_context, session):
        info = WebKit2.ApplicationInfo()
        info.set_name("webkit-window")
        info.set_version(1, 0, 0)
        session.set_application_info(info)
        session.connect("create-web-view", create_web_view)

    context.connect("automation-started", automation_started)
    Gtk.main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
